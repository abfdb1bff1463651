import { createHmac, randomBytes } from 'node:crypto';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import * as qp from 'nodemailer/lib/qp';
import type { CompiledParts, SlotValues } from '../digests/render';

/**
 * The whole MIME message of a digest, built once from the digest's compiled parts
 * (digests/render). Encoding a 40 KB HTML part per recipient is what makes a Node sender
 * CPU-bound, so everything that is the same for every recipient is encoded here, and per
 * recipient only a few headers and the personal values are spliced in. This file does only
 * headers and transfer encoding: the parts arrive ASCII and escaped, the values too.
 *
 * The HTML part is 7-bit (lines under 998 octets). The text part is quoted-printable,
 * encoded piecewise around the slots.
 */

export interface PersonalValues {
  to: string;
  /** The recipient's values for the compiled parts' slots (digests/render slotValues). */
  slots: SlotValues;
  unsubscribeUrl: string;
  /** Stable per digest and recipient, so a re-send after a crash is the same message. */
  messageId: string;
}

export interface DigestMessageSource {
  /** The From header's value, already formatted (mail/sender formatMailbox, or MAIL_FROM as is). */
  from: string;
  /** MAIL_REPLY_TO; no Reply-To header when absent. */
  replyTo?: string | null;
  subject: string;
  listId: string; // e.g. `"The Finance Ledger: Finance" <finance.newsletter.example.com>`
  parts: CompiledParts;
  /** The multipart boundary; random when absent (fixed only for golden-file tests). */
  boundary?: string;
}

export interface MessageTemplate {
  /**
   * The whole message as bytes (7-bit ASCII), ready for the socket. Written into `scratch`
   * when it is large enough (the result is then a view of it, valid until the next build
   * into the same scratch), so a sender that reuses one scratch per lane allocates nothing
   * per message but the few personal bytes. `date` is the Date header's (now by default).
   */
  build(values: PersonalValues, scratch?: Buffer, date?: Date): Buffer;
}

const CRLF = '\r\n';

/** Breaks lines longer than SMTP allows, between tags or at spaces, where HTML does not care. */
function shortLines(html: string, max = 900): string {
  return html
    .split(/\r?\n/)
    .map((line) => {
      if (line.length <= max) return line;
      const out: string[] = [];
      let rest = line;
      while (rest.length > max) {
        let cut = rest.lastIndexOf('>', max);
        if (cut < max / 2) cut = rest.lastIndexOf(' ', max);
        if (cut < max / 2) cut = max; // no safe place: a plain cut still beats a refused message
        out.push(rest.slice(0, cut + 1));
        rest = rest.slice(cut + 1);
      }
      out.push(rest);
      return out.join(CRLF);
    })
    .join(CRLF);
}

/** One less than quoted-printable's 76, leaving room for the soft break's "=". */
const QP_LINE = 75;
const SOFT_BREAK = `=${CRLF}`;

const header = (name: string, value: string) => `${name}: ${value}${CRLF}`;
/** RFC 2047 words only where the value needs them; plain ASCII stays readable. */
const encoded = (value: string) => (/[^\x20-\x7e]/.test(value) ? mimeFuncs.encodeWords(value, 'Q', 52) : value);
const noBreaks = (value: string) => value.replace(/[\r\n]+/g, ' ');
const bytes = (value: string) => Buffer.from(value, 'latin1');

export function compileDigestMessage(source: DigestMessageSource): MessageTemplate {
  const boundary = source.boundary ?? `----=_masthead_${randomBytes(12).toString('hex')}`;
  const { html, text } = source.parts;

  const htmlStatics = html.statics.map((piece) => bytes(shortLines(piece)));
  // Quoted-printable lines stay within 76 characters (RFC 2045) where a personal value is
  // spliced in mid-line too: each fixed piece is wrapped at 75 and meets a slot through a
  // soft break ("=" at the end of a line, which decodes to nothing), and each value is
  // wrapped the same way when it is encoded.
  const last = text.statics.length - 1;
  const textStatics = text.statics.map((piece, i) => {
    let encodedPiece = qp.wrap(qp.encode(piece.replace(/\r?\n/g, CRLF)), QP_LINE);
    if (i > 0 && !encodedPiece.startsWith(CRLF)) encodedPiece = SOFT_BREAK + encodedPiece;
    if (i < last && !encodedPiece.endsWith(CRLF)) encodedPiece += SOFT_BREAK;
    return bytes(encodedPiece);
  });

  // Everything before the per-recipient headers, and everything after them, is fixed.
  const fixedHeaders =
    header('From', encoded(noBreaks(source.from))) +
    (source.replyTo ? header('Reply-To', noBreaks(source.replyTo)) : '') +
    header('Subject', encoded(noBreaks(source.subject))) +
    header('List-Id', encoded(noBreaks(source.listId))) +
    header('List-Unsubscribe-Post', 'List-Unsubscribe=One-Click') +
    header('MIME-Version', '1.0') +
    header('Content-Type', `multipart/alternative; boundary="${boundary}"`);
  const textHead = `${CRLF}--${boundary}${CRLF}Content-Type: text/plain; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}`;
  const htmlHead = `${CRLF}--${boundary}${CRLF}Content-Type: text/html; charset=utf-8${CRLF}Content-Transfer-Encoding: 7bit${CRLF}${CRLF}`;
  const tail = `${CRLF}--${boundary}--${CRLF}`;

  // The fixed parts are bytes once; per recipient only the few personal bytes are made, and
  // one copy puts the message together (no per-character work, no re-encoding).
  const fixedBytes = bytes(fixedHeaders + textHead);
  const htmlHeadBytes = bytes(htmlHead);
  const tailBytes = bytes(tail);
  const encodeTextValue = (value: string) => qp.wrap(qp.encode(noBreaks(value)), QP_LINE);

  function fill(out: Buffer[], statics: Buffer[], slots: readonly string[], values: Record<string, string>, encode: (value: string) => string) {
    out.push(statics[0]);
    for (let i = 0; i < slots.length; i++) out.push(bytes(encode(values[slots[i]] ?? '')), statics[i + 1]);
  }

  return {
    build(values, scratch, date = new Date()) {
      const personal =
        header('To', noBreaks(values.to)) +
        header('Date', date.toUTCString().replace('GMT', '+0000')) +
        header('Message-ID', `<${noBreaks(values.messageId)}>`) +
        header('List-Unsubscribe', `<${noBreaks(values.unsubscribeUrl)}>`);
      // An internationalised address is the one part that may not be ASCII.
      const out: Buffer[] = [/[^\x00-\x7f]/.test(personal) ? Buffer.from(personal, 'utf8') : bytes(personal), fixedBytes];
      fill(out, textStatics, text.slots, values.slots.text, encodeTextValue);
      out.push(htmlHeadBytes);
      fill(out, htmlStatics, html.slots, values.slots.html, noBreaks);
      out.push(tailBytes);
      let length = 0;
      for (const chunk of out) length += chunk.length;
      if (!scratch || scratch.length < length) return Buffer.concat(out, length);
      let offset = 0;
      for (const chunk of out) offset += chunk.copy(scratch, offset);
      return scratch.subarray(0, length);
    },
  };
}

/** `<digest>.<hmac of the address>@<domain>`: the same for the same digest and recipient, and reveals no address. */
export function digestMessageId(secret: string, digestId: string, email: string, domain: string): string {
  const tag = createHmac('sha256', secret).update(email.toLowerCase()).digest('base64url').slice(0, 22);
  return `${digestId}.${tag}@${domain}`;
}

/** The domain part of MAIL_FROM ("Masthead <newsletter@localhost>" → "localhost"). */
export function domainOf(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match ? match[1] : 'localhost';
}
