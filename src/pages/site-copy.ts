/**
 * The built-in text of the terms of entry and the privacy notice, used until an operator
 * points TERMS_FILE / PRIVACY_FILE at their own. Plain text: a blank line between paragraphs.
 * Original copy, written for Masthead; it names the publisher and how to reach it.
 */

interface Publisher {
  orgName: string;
  postalAddress: string;
  contactEmail: string;
}

export function defaultTerms({ orgName, contactEmail }: Publisher): string {
  return `These terms apply to every entry to an awards programme run by ${orgName}. By submitting an entry you accept them on behalf of the organisation you enter.

Entering is free. An organisation may enter any number of categories of a programme, once each. Entries must arrive before the deadline shown on the programme's page, in that programme's time zone; late entries are not considered.

What you submit must be accurate and yours to share. Do not include information you are not allowed to disclose, such as a client's confidential figures without their consent. We may ask for evidence of any claim, and may disqualify an entry that misleads the judges.

Entries are read by the independent panel named for each programme. Judges declare any conflict of interest and do not score entries they are connected with. The panel's decisions are final, and we do not give individual feedback unless the programme's page says so.

Shortlisted and winning organisations may be named, with the title of their entry, on our website, in our newsletters and at the ceremony. The statement and documents you submit are read only by our awards team and the judges, and are never published without your permission. Fields you mark "not for publication" on the form are never shown on the winners' page.

You may withdraw an entry at any time before the results are announced by writing to ${contactEmail}. We may change a programme's dates or categories when there is good reason, and will tell entrants affected by email.

These terms are governed by the law of England and Wales.`;
}

export function defaultPrivacy({ orgName, postalAddress, contactEmail }: Publisher): string {
  return `${orgName} (${postalAddress}) is responsible for the personal details you give us through this site. This notice says what we collect, why, and what you can ask of us.

Award entries: we keep the contact's name, job title, email address and phone number, and the entry itself, to run the programme: to confirm your entry, to ask questions about it, to tell you the result and, if you are shortlisted, to invite you to the ceremony. Judges see the entry and, unless the round is blind, the organisation's name. We keep entries for two years after the ceremony, then delete them.

The newsletter: we keep your email address, your name if you give it, and the topics you chose, to send you the digests you asked for. Every issue has a link to change your topics or unsubscribe in one click. When you unsubscribe we keep only a one-way fingerprint of your address, so that we never write to you again by mistake.

We use no advertising trackers. Our emails contain no tracking pixels. We do not sell or share your details with anyone, except the service providers that host this site and send our email, who act on our instructions.

You may ask to see the details we hold about you, to correct them, or to have them erased, by writing to ${contactEmail} or to the postal address above. If you are not satisfied with our answer you may complain to the data protection authority where you live.`;
}
