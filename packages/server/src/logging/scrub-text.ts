// Free text bound for a log or a warning (an SMTP server's refusal, a driver's error message) may quote an e-mail
// address: `550 5.1.1 <grace.hopper@example.com>: Recipient address rejected`. The address is the person's; the rest
// is what an operator needs.

/** An address as SMTP servers and drivers quote it: `<local@domain>` or bare `local@domain`. */
const EMAIL_ADDRESS = /<[^\s<>@]+@[^\s<>@]+>|[^\s<>@"'(),;:[\]]+@[^\s<>@"'(),;:[\]]+\.[^\s<>@"'(),;:[\]]+/g;

/** `text` with every e-mail address in it replaced by `<address>`. */
export function withoutEmailAddresses(text: string): string {
  return text.replace(EMAIL_ADDRESS, '<address>');
}
