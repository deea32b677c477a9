/** The sixteen x86 conditions (Jcc, SETcc, CMOVcc), for instruction tests. */
import { CF, PF, ZF, SF, OF } from '../../src/vm/cpu/flags';

/** For each condition code: flag sets where it holds, and where it does not. */
export const CONDITIONS: [string, number[], number[]][] = [
  ['o', [OF], [0, CF | ZF | SF | PF]],
  ['no', [0, CF | ZF | SF], [OF]],
  ['b', [CF], [0, ZF]],
  ['ae', [0, ZF], [CF]],
  ['e', [ZF], [0, CF]],
  ['ne', [0, CF], [ZF]],
  ['be', [CF, ZF, CF | ZF], [0, SF | OF]],
  ['a', [0, SF | OF], [CF, ZF]],
  ['s', [SF], [0, OF]],
  ['ns', [0, OF], [SF]],
  ['p', [PF], [0, CF]],
  ['np', [0, CF], [PF]],
  ['l', [SF, OF], [0, SF | OF, ZF]],
  ['ge', [0, SF | OF, ZF], [SF, OF]],
  ['le', [ZF, SF, OF, ZF | SF | OF], [0, SF | OF]],
  ['g', [0, SF | OF], [ZF, SF, OF, ZF | SF | OF]],
];
