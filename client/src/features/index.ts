/** The client features, one module each. A new feature exports `activate(ctx)` and is listed here. */
import type { Feature } from '../context';
import * as commands from './commands';
import * as exportReport from './export-report';
import * as statusBar from './status-bar';
import * as trust from './trust';

export const FEATURES: readonly Feature[] = [statusBar, commands, exportReport, trust];
