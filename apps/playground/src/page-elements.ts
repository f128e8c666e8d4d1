/**
 * What both pages (the 2-D playground and the image page) take from their HTML: elements by id,
 * named when missing, and the one message box (errors, and notes in a calmer style).
 */

/** The element with this id; a page without it is a build mistake, said by name. */
export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page lacks #${id}`);
  return found as T;
}

/** The page's `#message` box: show an error or a note, or clear it. */
export function messageBox(id = 'message'): { show(text: string, kind?: 'error' | 'note'): void; clear(): void; box: HTMLElement } {
  const box = element(id);
  return {
    box,
    show(text, kind = 'error') {
      box.textContent = text;
      box.className = kind === 'note' ? 'note' : '';
      box.hidden = false;
    },
    clear() {
      box.hidden = true;
      box.textContent = '';
    },
  };
}
