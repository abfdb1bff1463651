import addressparser from 'nodemailer/lib/addressparser';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';

/**
 * Who a message is from. MAIL_FROM gives the address and the default name; a topic or a
 * programme may give another name, never another address (the address is what DKIM and
 * SPF are aligned for).
 */
export interface Mailbox {
  name: string;
  address: string;
}

/** MAIL_FROM ("Masthead <newsletter@localhost>" or a bare address) as name and address. */
export function parseMailFrom(mailFrom: string): Mailbox {
  const [first] = addressparser(mailFrom) as { name?: string; address?: string }[];
  return { name: first?.name ?? '', address: first?.address ?? mailFrom.trim() };
}

/**
 * The sender of a message about these topics or this programme: MAIL_FROM's address, named
 * by their shared sender name when every one of them has the same; otherwise MAIL_FROM as is.
 */
export function senderFor(mailFrom: string, senderNames: (string | null | undefined)[]): Mailbox {
  const from = parseMailFrom(mailFrom);
  const names = new Set(senderNames.map((n) => n?.trim() || null));
  const [only] = [...names];
  return names.size === 1 && only ? { name: only, address: from.address } : from;
}

/**
 * The From header of a digest of these topics (their sender names): MAIL_FROM byte for byte
 * unless they all share one name, then that name on MAIL_FROM's address.
 */
export function digestFromHeader(mailFrom: string, topicSenderNames: (string | null | undefined)[]): string {
  const sender = senderFor(mailFrom, topicSenderNames);
  return sender.name === parseMailFrom(mailFrom).name ? mailFrom : formatMailbox(sender);
}

/** The sender of a programme's emails: its sender name on MAIL_FROM's address, or MAIL_FROM. */
export const programmeSender = (mailFrom: string, programme: { sender_name?: string | null }): Mailbox => senderFor(mailFrom, [programme.sender_name]);

/**
 * A mailbox as a header writes it: `"Name" <address>`, the name quoted (RFC 5322) when ASCII
 * and one RFC 2047 encoded word when not (an encoded word may not stand inside quotes).
 */
export function formatMailbox(mailbox: Mailbox): string {
  const name = mailbox.name.replace(/[\r\n]+/g, ' ').trim();
  if (!name) return mailbox.address;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/["\\]/g, '\\$&')}" <${mailbox.address}>`;
  return `${mimeFuncs.encodeWord(name, 'Q', 52)} <${mailbox.address}>`;
}
