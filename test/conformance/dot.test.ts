// Triton's dot products tests on the interpreter (the GPU tier: test/gpu/conformance-dot.test.ts and conformance-dot-2.test.ts).
import { dotCasesAll } from './dot.ts';
import { interpreterLaunch, registerCases } from './suite.ts';

registerCases('dot', 'interpreter', dotCasesAll(), interpreterLaunch);
