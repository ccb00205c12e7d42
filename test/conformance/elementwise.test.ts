// Triton's elementwise language tests on the interpreter (the GPU tier: test/gpu/conformance-elementwise.test.ts).
import { elementwiseCases } from './elementwise.ts';
import { interpreterLaunch, registerCases } from './suite.ts';

registerCases('elementwise', 'interpreter', elementwiseCases(), interpreterLaunch);
