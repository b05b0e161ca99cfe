// The live preview of a custom form, drawn by the hosted journey runner's own renderer (hosted/src/form-view.ts)
// from what a form step sends the runner (POST /api/custom-forms/preview), with the runner's stylesheets, in a
// shadow root so the console's styles and the runner's do not mix. "Send" checks the values with the runner's
// check (@keyway/web's validateJourneyForm = the server's) and marks the fields as the runner does; nothing is sent.
import { useEffect, useRef } from 'react';
import { h, renderForm, sentenceCase } from '../../../../hosted/src/form-view.ts';
import runnerCss from '../../../../hosted/src/journey-runner.css?url';
import { RUNNER_MESSAGES } from '../../../../hosted/src/journey-runner-messages.ts';
import keywayCss from '../../../../hosted/src/keyway.css?url';
import { validateJourneyForm, type JourneyForm } from '../../../../web/src/journey-forms.ts';

function runnerTexts(locale: string) {
  const language = locale.split('-')[0]!.toLowerCase();
  return Object.hasOwn(RUNNER_MESSAGES, language) ? RUNNER_MESSAGES[language as keyof typeof RUNNER_MESSAGES] : RUNNER_MESSAGES.en;
}

/** `accepted`: what to say when the values pass (the runner would send them). */
export function RunnerPreview({ presented, accepted }: { presented: JourneyForm | null | undefined; accepted: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const root = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
    const sheets = [keywayCss, runnerCss].map((href) => h('link', { rel: 'stylesheet', href }));
    if (!presented) {
      root.replaceChildren(...sheets);
      return;
    }
    const texts = runnerTexts(presented.locale);
    const view = renderForm(presented, {
      texts: { required: texts['runner.required'], choose: texts['runner.choose'] },
      buttonLabel: presented.button?.label ?? texts['runner.continue'],
      prefix: 'preview-',
    });
    const errors = h('div', { class: 'error', role: 'alert', 'aria-live': 'assertive', tabindex: '-1' });
    const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
    view.element.addEventListener('submit', (event) => {
      event.preventDefault();
      const refused = validateJourneyForm(presented, view.values());
      const first = view.markErrors(refused);
      errors.replaceChildren();
      status.textContent = '';
      if (refused.length === 0) {
        status.textContent = accepted;
        return;
      }
      // As the runner announces a refusal: one message for the form, the list, each message also at its field.
      errors.replaceChildren(h('p', {}, texts['runner.fixErrors']), h('ul', {}, ...refused.map((e) => h('li', {}, e.message))));
      (first ?? errors).focus();
    });
    const card = h(
      'div',
      { class: 'card journey-step', lang: presented.locale },
      h('h1', {}, sentenceCase(presented.title || texts['runner.title'], presented.locale)),
      view.element,
      status,
      errors,
    );
    root.replaceChildren(...sheets, card);
  }, [presented, accepted]);
  return <div ref={host} className="runner-preview" data-testid="form-preview" />;
}
