// Every replay, in historical order, then the classifier control.
import { Scenario } from '../scenario';
import { acceptSteal } from './accept-steal';
import { dispatching } from './dispatching';
import { enableExternal } from './enable-external';
import { lateWake } from './late-wake';
import { notifierClear } from './notifier-clear';
import { stopFlag } from './stop-flag';

export const SCENARIOS: readonly Scenario[] = [dispatching, notifierClear, enableExternal, stopFlag, acceptSteal, lateWake];

export function findScenario(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id || s.commit === id);
}
