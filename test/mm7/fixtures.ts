/** MM7 requests shaped after the samples in protocol-notes §6 (Savon REL-5 fixture, REL-6 client sample, Mbuni output). */

export const NS_REL5_12 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-2';
export const NS_REL5_10 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-0';
export const NS_REL6_14 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4';
export const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';

/** 1x1 GIF. */
export const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export function crlf(s: string): string {
  return s.replace(/\r?\n/g, '\r\n');
}

/** REL-5-MM7-1-2, every MM7 element prefixed, nested multipart/related MM (SMIL + text + base64 GIF) referenced by cid. */
export function rel5PrefixedSubmit(): { contentType: string; body: Buffer } {
  const envelope = `<?xml version="1.0" encoding="UTF-8"?>
<soap-env:Envelope xmlns:soap-env="${SOAP}">
  <soap-env:Header>
    <mm7:TransactionID xmlns:mm7="${NS_REL5_12}" soap-env:mustUnderstand="1">vas00001-sub</mm7:TransactionID>
  </soap-env:Header>
  <soap-env:Body>
    <mm7:SubmitReq xmlns:mm7="${NS_REL5_12}">
      <mm7:MM7Version>5.3.0</mm7:MM7Version>
      <mm7:SenderIdentification>
        <mm7:VASPID>TNN</mm7:VASPID>
        <mm7:VASID>News</mm7:VASID>
        <mm7:SenderAddress><mm7:ShortCode>12345</mm7:ShortCode></mm7:SenderAddress>
      </mm7:SenderIdentification>
      <mm7:Recipients>
        <mm7:To>
          <mm7:Number>7255441234</mm7:Number>
          <mm7:RFC2822Address displayOnly="true">7255442222@OMMS.com</mm7:RFC2822Address>
        </mm7:To>
        <mm7:Cc><mm7:Number>7255443333</mm7:Number></mm7:Cc>
        <mm7:Bcc><mm7:RFC2822Address>7255444444@OMMS.com</mm7:RFC2822Address></mm7:Bcc>
      </mm7:Recipients>
      <mm7:ServiceCode>gold-sp33-im42</mm7:ServiceCode>
      <mm7:LinkedID>mms00016666</mm7:LinkedID>
      <mm7:MessageClass>Informational</mm7:MessageClass>
      <mm7:TimeStamp>2002-01-02T09:30:47-05:00</mm7:TimeStamp>
      <mm7:ReplyCharging replyChargingSize="32000" replyDeadline="P14D"/>
      <mm7:EarliestDeliveryTime>2002-01-02T09:30:47-05:00</mm7:EarliestDeliveryTime>
      <mm7:ExpiryDate>P90D</mm7:ExpiryDate>
      <mm7:DeliveryReport>True</mm7:DeliveryReport>
      <mm7:ReadReply>false</mm7:ReadReply>
      <mm7:Priority>Normal</mm7:Priority>
      <mm7:Subject>News for today &amp; tomorrow</mm7:Subject>
      <mm7:ChargedParty>Sender</mm7:ChargedParty>
      <mm7:DistributionIndicator>true</mm7:DistributionIndicator>
      <mm7:Content href="cid:SaturnPics-01020930@news.tnn.com" allowAdaptations="true"/>
    </mm7:SubmitReq>
  </soap-env:Body>
</soap-env:Envelope>`;
  const smil = '<smil><body><par dur="5s"><img src="cid:saturn.gif"/><text src="cid:text.txt"/></par></body></smil>';
  const inner = crlf(`--InnerBoundary
Content-Type: application/smil; charset=utf-8
Content-ID: <mm.smil>

${smil}
--InnerBoundary
Content-Type: text/plain; charset=utf-8
Content-ID: <text.txt>
Content-Transfer-Encoding: quoted-printable

Saturn =C3=A9t=C3=A9 soft=
break
--InnerBoundary
Content-Type: image/gif
Content-ID: <saturn.gif>
Content-Transfer-Encoding: base64

${GIF.toString('base64').replace(/(.{20})/g, '$1\n')}
--InnerBoundary--
`);
  const body = crlf(`This is a preamble that readers ignore.
--NextPart_000_0028
Content-Type: text/xml; charset="utf-8"
Content-ID: </tnn-200102/mm7-submit>

${envelope}
--NextPart_000_0028
Content-Type: multipart/related; start=<mm.smil>; type="application/smil";
\tboundary="InnerBoundary"
Content-ID: <SaturnPics-01020930@news.tnn.com>

${inner}
--NextPart_000_0028--
epilogue`);
  return {
    contentType: 'multipart/related; boundary="NextPart_000_0028"; type=text/xml; start="</tnn-200102/mm7-submit>"',
    body: Buffer.from(body, 'utf8'),
  };
}

/** REL-6-MM7-1-4, default namespace, LF line ends, unquoted boundary with '=', content by Content-Location, no start. */
export function rel6DefaultNsSubmit(): { contentType: string; body: Buffer } {
  const envelope = `<?xml version="1.0"?>
<env:Envelope xmlns:env="${SOAP}"><env:Header><TransactionID xmlns="${NS_REL6_14}" env:mustUnderstand="1">TID.6</TransactionID></env:Header>
<env:Body><SubmitReq xmlns="${NS_REL6_14}"><MM7Version>6.8.0</MM7Version>
<SenderIdentification><VASPID>acme</VASPID><SenderAddress><Number>+15550001111</Number></SenderAddress></SenderIdentification>
<Recipients><To><Number>+15551234567</Number><Number>+15557654321</Number></To></Recipients>
<ExpiryDate>2030-01-01T00:00:00Z</ExpiryDate><ContentClass>image-basic</ContentClass><DRMContent>false</DRMContent>
<Subject>Hi</Subject><Content href="http://vasp.example/mm/promo.gif" allowAdaptations="false"/></SubmitReq></env:Body></env:Envelope>`;
  const body = Buffer.concat([
    Buffer.from(`------=_Part_0_12.34\nContent-Type: text/xml\n\n${envelope}\n------=_Part_0_12.34\nContent-Type: image/gif\nContent-Location: promo.gif\n\n`),
    GIF,
    Buffer.from('\n------=_Part_0_12.34--\n'),
  ]);
  return { contentType: 'multipart/related; type="text/xml"; boundary=----=_Part_0_12.34', body };
}
