/** The dashboard's toast and its confirmation dialog. */
import { byId } from '../../core/browser/dom.js';

let toastTimer: number | undefined;

/** Say what happened, for five seconds. */
export function toast(message: string, kind?: 'ok' | 'error'): void {
  const node = byId('toast');
  node.textContent = message;
  node.className = `toast${kind ? ` ${kind}` : ''}`;
  node.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    node.hidden = true;
  }, 5000);
}

const CARRIED_TOAST = 'cs-toast';

/** Leave a toast for the next page (a decision that moves on to another turn). */
export function carryToast(message: string): void {
  try {
    sessionStorage.setItem(CARRIED_TOAST, message);
  } catch {
    // private mode: no toast
  }
}

/** Show the toast the previous page left, if any. */
export function showCarriedToast(): void {
  try {
    const carried = sessionStorage.getItem(CARRIED_TOAST);
    if (carried) {
      sessionStorage.removeItem(CARRIED_TOAST);
      toast(carried, 'ok');
    }
  } catch {
    // no sessionStorage: nothing carried
  }
}

/** Ask to confirm; true when the reviewer confirmed (Enter or the button), false on cancel or Esc. */
export function confirmAction(text: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = byId<HTMLDialogElement>('confirm');
    byId('confirm-text').textContent = text;
    dialog.returnValue = '';
    // The dialog answers Enter itself ("Enter confirms", whichever button has focus) instead of
    // relying on the browser's implicit form submission, which does not always carry the
    // button's value; the key stops here so the page's own Enter shortcut never sees it.
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      event.stopPropagation();
      dialog.close('ok');
    };
    const onClose = () => {
      // A close event is queued as a task: the one from the previous dialog (cancelled with
      // Esc) can arrive after this one opened. It is not this dialog's answer.
      if (dialog.open) return;
      dialog.removeEventListener('close', onClose);
      dialog.removeEventListener('keydown', onKey);
      resolve(dialog.returnValue === 'ok');
    };
    dialog.addEventListener('keydown', onKey);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    byId('confirm-ok').focus();
  });
}
