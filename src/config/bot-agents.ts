/**
 * User agents of link-preview fetchers and crawlers: a messaging app that unfurls a link fetches it
 * before (or without) anyone tapping it. Their requests are redirected like any other but counted
 * apart (botClicks), never as a click. Matched case-insensitively as substrings.
 */
export const DEFAULT_BOT_AGENTS = [
  'facebookexternalhit',
  'Facebot',
  'WhatsApp',
  'Slackbot',
  'Slack-ImgProxy',
  'Twitterbot',
  'TelegramBot',
  'SkypeUriPreview',
  'Discordbot',
  'LinkedInBot',
  'Googlebot',
  'Google-PageRenderer',
  'bingbot',
  'Applebot',
  'redditbot',
  'Embedly',
  'Pinterestbot',
  'vkShare',
  'Viber',
  'Snapchat',
  'SkypeShell',
  'Iframely',
  'MicrosoftPreview',
  'Outlook-iOS',
  'YandexBot',
  'DuckDuckBot',
  'bitlybot',
  'curl/',
  'python-requests',
  'Go-http-client',
];
