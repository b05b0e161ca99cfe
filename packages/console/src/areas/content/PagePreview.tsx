// The live preview of a custom page: the unsaved HTML drawn by Keyway under the page's own policy made inert
// (POST {console}/preview/page, console/page-preview-routes.ts on the server: sandboxed, inline styles drawn, no
// script, no form). A frame the console filled itself (srcdoc) would inherit the console's CSP, which refuses the inline
// styles a page is made of, and show it unstyled. Each update submits a form into a new frame: a frame's first
// navigation replaces its blank document, so typing adds nothing to the browser's history.
import { useEffect, useRef, useState } from 'react';
import { consoleBase } from '../../tenant.ts';

/** How long the operator pauses typing before the preview follows (as validation does). */
const UPDATE_AFTER_MS = 400;

export function PagePreview({ html, title }: { html: string; title: string }) {
  const [shown, setShown] = useState<{ html: string; frame: number } | undefined>();
  useEffect(() => {
    const timer = setTimeout(() => setShown((last) => ({ html, frame: (last?.frame ?? 0) + 1 })), UPDATE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [html]);
  const form = useRef<HTMLFormElement>(null);
  // After the new frame is in the document: the form's target names it.
  useEffect(() => {
    if (shown) form.current?.submit();
  }, [shown]);
  const target = `page-preview-${shown?.frame ?? 0}`;
  return (
    <>
      <form ref={form} method="post" action={`${consoleBase}/preview/page`} target={target} hidden>
        <input type="hidden" name="html" value={shown?.html ?? ''} readOnly />
      </form>
      <iframe key={target} name={target} className="preview-frame" title={title} sandbox="" />
    </>
  );
}
