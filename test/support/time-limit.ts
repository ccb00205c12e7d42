// Test time limits that stretch where everything runs slower: KT_TEST_TIMEOUT_SCALE multiplies them
// (test/gpu/scripts/compute-sanitizer.sh sets it, as a launch under compute-sanitizer takes many times as long).

/** `ms` times KT_TEST_TIMEOUT_SCALE (1 when unset). */
export const timeLimit = (ms: number): number => ms * (Number(process.env['KT_TEST_TIMEOUT_SCALE']) || 1);
