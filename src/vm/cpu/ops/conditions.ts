/** Condition-code suffixes, by the 4-bit condition number of Jcc / SETcc / CMOVcc. */
export const CC_NAMES = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
