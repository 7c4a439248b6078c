/**
 * Email templates. The outbox stores only the template's data (ids, never secrets);
 * the link is rebuilt at send time from the token id and the server secret.
 */
import { escapeHtml } from '../html.js';

export type TemplateData =
  | { template: 'invitation'; tokenId: string; userId: string }
  | { template: 'password_reset'; tokenId: string; userId: string };

export interface RenderContext {
  link: string;
  userName: string;
  accountName: string;
  expiresAt: number;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

function layout(paragraphs: string[], link: string, button: string): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
${body}
<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#1f4fd1;color:#fff;text-decoration:none;border-radius:6px">${escapeHtml(button)}</a></p>
<p style="color:#555;font-size:14px">Or paste this link into your browser:<br>${escapeHtml(link)}</p>
</body></html>`;
}

export function render(data: TemplateData, context: RenderContext): RenderedEmail {
  const expires = new Date(context.expiresAt).toUTCString();
  if (data.template === 'invitation') {
    const lines = [
      `Hello ${context.userName},`,
      `You have been invited to join ${context.accountName}. Choose a password to finish creating your account.`,
      `This link works once and expires on ${expires}.`,
    ];
    return {
      subject: `You're invited to ${context.accountName}`,
      text: `${lines.join('\n\n')}\n\n${context.link}\n`,
      html: layout(lines, context.link, 'Accept the invitation'),
    };
  }
  const lines = [
    `Hello ${context.userName},`,
    `Someone asked to reset the password of your ${context.accountName} account. If it was you, choose a new password with the link below. If not, you can ignore this email.`,
    `This link works once and expires on ${expires}.`,
  ];
  return {
    subject: `Reset your ${context.accountName} password`,
    text: `${lines.join('\n\n')}\n\n${context.link}\n`,
    html: layout(lines, context.link, 'Choose a new password'),
  };
}
