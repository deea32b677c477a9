/**
 * Small functions the generated code calls by name (compileBlock passes
 * them in): what is too long to write out at every use. Kept small, so the
 * engine inlines them into the block.
 */
import { materialize } from '../flags';

/** Names and values in scope in every generated block, beside those compileBlock passes itself. */
export const HELPER_NAMES = ['materialize'];
export const HELPER_VALUES: unknown[] = [materialize];
