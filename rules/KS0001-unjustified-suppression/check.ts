import { defineCheck } from '../../server/src/engine/rule';

/**
 * Suppression directives are read and matched by the engine's suppression pass (server/src/engine/suppress.ts),
 * which reports this rule after every other rule has run; there is nothing to check per syntax node.
 */
export default defineCheck({
  check() {},
});
