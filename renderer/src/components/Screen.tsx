import type { ReactNode } from 'react';
import type { ScreenId } from '../bridge/contract.js';

interface Props {
  id: ScreenId;
  title: string;
  /** Icon-like glyph shown beside the title (decorative; state is always written too). */
  tone?: 'info' | 'ok' | 'warn' | 'error';
  children?: ReactNode;
  /** The way on: back / cancel / finish. Every screen has at least one. */
  actions: ReactNode;
}

const TONE_MARK: Record<NonNullable<Props['tone']>, string> = { info: 'i', ok: '✓', warn: '!', error: '×' };

export function Screen({ id, title, tone, children, actions }: Props) {
  return (
    <main className={`screen tone-${tone ?? 'info'}`} data-screen={id} aria-labelledby={`title-${id}`}>
      <h1 id={`title-${id}`}>
        {tone && tone !== 'info' ? (
          <span className="tone-mark" aria-hidden="true">
            {TONE_MARK[tone]}
          </span>
        ) : null}
        {title}
      </h1>
      <div className="screen-body">{children}</div>
      <div className="actions">{actions}</div>
    </main>
  );
}
