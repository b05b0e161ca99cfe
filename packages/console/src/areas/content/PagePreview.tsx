// The live preview of a custom page: the unsaved HTML drawn by Keyway under the page's own policy made inert
// (POST {console}/preview/page, console/page-preview-routes.ts on the server: sandboxed, inline styles drawn, no
// script, no form). A frame the console filled itself (srcdoc) would inherit the console's CSP, which refuses the inline
// styles a page is made of, and show it unstyled. Each update submits a form into a new frame: a frame's first
// navigation replaces its blank document, so typing adds nothing to the browser's history.
import { useEffect, useRef } from 'react';
import { useI18n } from '../../i18n/i18n.tsx';
import { consoleBase } from '../../tenant.ts';

/** The HTML to draw, and the number of the frame to draw it in (a new one for each update). */
export interface PreviewedPage {
  html: string;
  frame: number;
}

export function PagePreview({ page, title }: { page: PreviewedPage | undefined; title: string }) {
  const form = useRef<HTMLFormElement>(null);
  // A refusal (an ended session, say) comes back as a page in the console's language.
  const { locale } = useI18n();
  // After the new frame is in the document: the form's target names it.
  useEffect(() => {
    if (page) form.current?.submit();
  }, [page]);
  const target = `page-preview-${page?.frame ?? 0}`;
  return (
    <>
      <form ref={form} method="post" action={`${consoleBase}/preview/page?lang=${locale}`} target={target} hidden>
        <input type="hidden" name="html" value={page?.html ?? ''} readOnly />
      </form>
      <iframe key={target} name={target} className="preview-frame" title={title} sandbox="" />
    </>
  );
}
