/**
 * The copy button of a secret shown once (an API key, a temporary password): markup and the
 * script that brings it to life. Without JavaScript the button stays hidden and the secret is
 * selectable text; the console's script includes this one, so both pages copy alike.
 */
import { html, type Html } from '../html.js';

export const COPY_SCRIPT_PATH = '/assets/copy-key.js';

/**
 * Shows the copy buttons (hidden without JavaScript) and copies the text of the element a
 * button names; where the clipboard is refused, selects that text instead and says so, naming
 * it with the button's data-noun.
 */
export const COPY_SCRIPT = `
for (const button of document.querySelectorAll('button[data-copy]')) {
  const source = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.status);
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      status.textContent = 'Copied to the clipboard.';
    } catch {
      window.getSelection().selectAllChildren(source);
      status.textContent =
        'Your browser did not allow copying: ' + button.dataset.noun + ' is selected, copy it now.';
    }
  });
}
`;

/**
 * A button that copies the text of the element `source` (an id), and the status line that says
 * whether it did. `noun` names that text in the fallback message ("the key").
 */
export function copyButton(input: { source: string; label: string; noun: string }): Html {
  return html`<button
      type="button"
      class="secondary"
      data-copy="${input.source}"
      data-status="copy-status"
      data-noun="${input.noun}"
      hidden
    >
      ${input.label}
    </button>
    <p class="copy-status" id="copy-status" role="status"></p>`;
}
