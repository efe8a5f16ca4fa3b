import type { ReactNode } from 'react';
import type { ScreenId } from '../bridge/contract.js';
import { Pictogram, type PictogramName } from './Pictogram.js';

interface Props {
  id: ScreenId;
  title: string;
  /** Icon-like glyph shown beside the title (decorative; state is always written too). */
  tone?: 'info' | 'ok' | 'warn' | 'error';
  /** The screen's pictogram (decorative), or a whole illustration (e.g. the animated card). */
  pictogram?: PictogramName | ReactNode;
  children?: ReactNode;
  /** The way on: back / cancel / finish. Every screen has at least one. Sits in the lower, reachable part. */
  actions: ReactNode;
}

const TONE_MARK: Record<NonNullable<Props['tone']>, string> = { info: 'i', ok: '✓', warn: '!', error: '×' };

export function Screen({ id, title, tone, pictogram, children, actions }: Props) {
  return (
    <main className={`screen tone-${tone ?? 'info'}${pictogram ? ' has-hero' : ''}`} data-screen={id} aria-labelledby={`title-${id}`}>
      <h1 id={`title-${id}`}>
        {tone && tone !== 'info' ? (
          <span className="tone-mark" aria-hidden="true">
            {TONE_MARK[tone]}
          </span>
        ) : null}
        {title}
      </h1>
      <div className="screen-main">
        {pictogram ? <div className="hero">{typeof pictogram === 'string' ? <Pictogram name={pictogram as PictogramName} /> : pictogram}</div> : null}
        {/* Focusable: long content (the balance) scrolls here and must be reachable by keyboard too. */}
        <div className="screen-body" tabIndex={0}>
          {children}
        </div>
      </div>
      {actions ? <div className="actions">{actions}</div> : null}
    </main>
  );
}
