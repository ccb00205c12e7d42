// Triton's creation, loads and atomics tests on the interpreter (the GPU tier: test/gpu/conformance-memory.test.ts).
import { memoryCases } from './memory.ts';
import { interpreterLaunch, registerCases } from './suite.ts';

registerCases('memory', 'interpreter', memoryCases(), interpreterLaunch);
