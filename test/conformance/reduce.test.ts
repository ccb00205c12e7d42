// Triton's reduction and scan tests on the interpreter (the GPU tier: test/gpu/conformance-reduce.test.ts).
import { reduceCases } from './reduce.ts';
import { interpreterLaunch, registerCases } from './suite.ts';

registerCases('reductions', 'interpreter', reduceCases(), interpreterLaunch);
