/**
 * The parts of the `smpp` package (farhadi/node-smpp 0.6.0-rc.4) this project uses. Hand-written
 * from lib/smpp.js, lib/pdu.js and lib/defs.js; field names are those of SMPP v3.4 §4.
 */
declare module 'smpp' {
  import { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    /** short_message as the package decodes it: UDH split into IEs (UDHL stripped) when UDHI is set. */
    interface DecodedShortMessage {
      udh?: Buffer[];
      message: Buffer | string;
    }

    /** Parameters and TLVs of the PDUs used here; a PDU carries whichever its command defines. */
    interface PDUFields {
      command_status?: number;
      sequence_number?: number;
      // bind_*
      system_id?: string;
      password?: string;
      system_type?: string;
      interface_version?: number;
      addr_ton?: number;
      addr_npi?: number;
      address_range?: string;
      // submit_sm / deliver_sm
      service_type?: string;
      source_addr_ton?: number;
      source_addr_npi?: number;
      source_addr?: string;
      dest_addr_ton?: number;
      dest_addr_npi?: number;
      destination_addr?: string;
      esm_class?: number;
      protocol_id?: number;
      priority_flag?: number;
      schedule_delivery_time?: string | Date;
      validity_period?: string | Date;
      registered_delivery?: number;
      replace_if_present_flag?: number;
      data_coding?: number | null;
      sm_default_msg_id?: number;
      /** Encoding: a Buffer is sent as is. Decoding: see DecodedShortMessage. */
      short_message?: Buffer | string | DecodedShortMessage | { udh?: Buffer; message: Buffer | string };
      // *_resp
      message_id?: string;
      // TLVs
      receipted_message_id?: string;
      message_state?: number;
      network_error_code?: Buffer;
      more_messages_to_send?: number;
      user_message_reference?: number;
      source_port?: number;
      dest_port?: number;
      sar_msg_ref_num?: number;
      sar_total_segments?: number;
      sar_segment_seqnum?: number;
      message_payload?: Buffer | DecodedShortMessage;
    }

    class PDU implements PDUFields {
      constructor(command: string, options?: PDUFields);
      command: string;
      command_id: number;
      command_length: number;
      command_status: number;
      sequence_number: number;
      isResponse(): boolean;
      /** The matching *_resp (generic_nack for an unknown command) with the same sequence number. */
      response(options?: PDUFields): PDU;
      toBuffer(): Buffer;
      static fromBuffer(buffer: Buffer): PDU | false;
      static maxLength: number;

      system_id?: string;
      password?: string;
      system_type?: string;
      interface_version?: number;
      addr_ton?: number;
      addr_npi?: number;
      address_range?: string;
      service_type?: string;
      source_addr_ton?: number;
      source_addr_npi?: number;
      source_addr?: string;
      dest_addr_ton?: number;
      dest_addr_npi?: number;
      destination_addr?: string;
      esm_class?: number;
      protocol_id?: number;
      priority_flag?: number;
      schedule_delivery_time?: string | Date;
      validity_period?: string | Date;
      registered_delivery?: number;
      replace_if_present_flag?: number;
      data_coding?: number | null;
      sm_default_msg_id?: number;
      short_message?: Buffer | string | DecodedShortMessage;
      message_id?: string;
      receipted_message_id?: string;
      message_state?: number;
      network_error_code?: Buffer;
      more_messages_to_send?: number;
      user_message_reference?: number;
      source_port?: number;
      dest_port?: number;
      sar_msg_ref_num?: number;
      sar_total_segments?: number;
      sar_segment_seqnum?: number;
      message_payload?: Buffer | DecodedShortMessage;
    }

    type ResponseCallback = (pdu: PDU) => void;
    type FailureCallback = (pdu: PDU, err?: Error) => void;
    /** Returns false (after calling failureCallback) when the socket is not writable. */
    type Shortcut = (options?: PDUFields, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback, failureCallback?: FailureCallback) => boolean;

    interface SessionOptions {
      host?: string;
      port?: number;
      url?: string;
      tls?: boolean;
      /** Passed on to tls.connect; the package itself defaults rejectUnauthorized to false. */
      rejectUnauthorized?: boolean;
      ca?: string | Buffer;
      connectTimeout?: number;
      auto_enquire_link_period?: number;
      debug?: boolean;
    }

    /**
     * One SMPP connection. Emits 'connect', 'close', 'error', 'pdu' (every PDU), and one event per
     * command name ('submit_sm', 'deliver_sm', 'enquire_link', 'unknown', ...).
     */
    class Session extends EventEmitter {
      constructor(options: SessionOptions & { socket?: Socket });
      socket: Socket;
      closed: boolean;
      paused: boolean;
      remoteAddress: string | null;
      remotePort: number | null;
      server?: Server;
      send(pdu: PDU, responseCallback?: ResponseCallback, sendCallback?: ResponseCallback, failureCallback?: FailureCallback): boolean;
      pause(): void;
      resume(): void;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;

      bind_receiver: Shortcut;
      bind_transmitter: Shortcut;
      bind_transceiver: Shortcut;
      submit_sm: Shortcut;
      deliver_sm: Shortcut;
      enquire_link: Shortcut;
      unbind: Shortcut;
      generic_nack: Shortcut;
    }

    /** A net.Server whose 'session' event hands out a Session per accepted socket. */
    class Server extends NetServer {
      sessions: Session[];
    }

    interface ServerOptions {
      debug?: boolean;
      key?: string | Buffer;
      cert?: string | Buffer;
    }

    function createServer(options: ServerOptions, listener?: (session: Session) => void): Server;
    function createServer(listener?: (session: Session) => void): Server;
    function connect(options: SessionOptions, listener?: (session: Session) => void): Session;
    function connect(url: string, listener?: (session: Session) => void): Session;

    /** command_status values by name (ESME_ROK, ESME_RTHROTTLED, ...). */
    const errors: Record<string, number>;
    const consts: {
      REGISTERED_DELIVERY: Record<string, number>;
      ESM_CLASS: Record<string, number>;
      MESSAGE_STATE: Record<string, number>;
      TON: Record<string, number>;
      NPI: Record<string, number>;
      ENCODING: Record<string, number>;
    };
  }

  export = smpp;
}
