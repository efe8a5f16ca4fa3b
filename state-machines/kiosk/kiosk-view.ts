/**
 * The session's own screens as the renderer sees them (start, card presentation and reading,
 * card problems, the menu, the balance, service-unavailable, goodbye) and the fields every
 * snapshot shares. Journey screens come from each journey's view function. Pure.
 */
import { menuFor } from '../../domain/card-kinds.js';
import type { MenuOption } from '../../contract/bridge.js';
import type { NotOfferedReason } from '../../contract/health.js';
import type { AnyMachineSnapshot, SnapshotFrom } from 'xstate';
import type { BalanceView, CardProblemView, MenuView, OutOfServiceView, ServiceUnavailableView, SessionView, SnapshotBase } from '../../contract/bridge.js';
import { cardView } from '../card-view.js';
import { hasTag, screenFromMeta } from '../screen.js';
import type { KioskMachine } from './kiosk-machine.js';

export type KioskSessionView = SessionView | CardProblemView | MenuView | BalanceView | ServiceUnavailableView | OutOfServiceView;

export interface SessionExtras {
  rev: number;
  /** Seconds until the inactivity reset, while the warning shows. */
  secondsLeft: number;
}

/** The fields every snapshot carries (busy also counts the running journey's `busy` tag). */
export function sessionBase(root: SnapshotFrom<KioskMachine>, extras: SessionExtras): Omit<SnapshotBase, 'card'> {
  // Read loosely: the idle region's shape belongs to the session machine, only `warning` matters here.
  const idle = (root.value as { idle?: string }).idle;
  return {
    rev: extras.rev,
    locale: root.context.locale,
    largeText: root.context.largeText,
    busy: hasTag(root as AnyMachineSnapshot, 'busy'),
    inactivity: { warning: idle === 'warning', secondsLeft: extras.secondsLeft },
  };
}

/** The view for a session screen (no journey running); undefined on a step without a screen. */
export function kioskView(root: SnapshotFrom<KioskMachine>, extras: SessionExtras): KioskSessionView | undefined {
  const screen = screenFromMeta(root as AnyMachineSnapshot);
  if (!screen) return undefined;
  const ctx = root.context;
  const base = sessionBase(root, extras);
  const card = ctx.card ? cardView(ctx.card, ctx.today) : undefined;
  const withCard = card ? { card } : {};
  const needCard = () => {
    if (!card) throw new Error(`kiosk: no card on screen ${screen}`);
    return card;
  };
  switch (screen) {
    case 'start':
    case 'present-card':
    case 'reading-card':
    case 'goodbye':
      return { ...base, ...withCard, screen, journey: 'none' };
    case 'card-problem':
      return { ...base, ...withCard, screen, journey: 'none', problem: ctx.problem ?? 'defective', menu: [...ctx.menu] };
    case 'menu':
      return {
        ...base,
        screen,
        journey: 'none',
        card: needCard(),
        menu: [...ctx.menu],
        ...(notOfferedNow(ctx).length ? { notOffered: notOfferedNow(ctx) } : {}),
      };
    case 'out-of-service':
      return { ...base, screen, journey: 'none' };
    case 'balance':
      return { ...base, screen, journey: 'none', card: needCard() };
    case 'service-unavailable':
      return { ...base, ...withCard, screen, journey: 'none', unavailable: ctx.unavailable ?? 'card-reader' };
    default:
      throw new Error(`kiosk: no session view for screen ${screen}`);
  }
}

/** What the menu lists as not offered now: the health model's choices, and a top-up this card
 * would get while the journal cannot be written (issue 12 window 6: no money taken). */
function notOfferedNow(ctx: SnapshotFrom<KioskMachine>['context']): { option: MenuOption; reason: NotOfferedReason }[] {
  const out = ctx.notOffered.map((n) => ({ ...n }));
  if (ctx.moneyUnavailable && ctx.card && !out.some((n) => n.option === 'topup') && menuFor(ctx.card, ctx.today ?? '', ctx.config, ctx.health).includes('topup'))
    out.push({ option: 'topup', reason: ctx.moneyUnavailable });
  return out;
}
