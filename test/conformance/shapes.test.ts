// Triton's shape, ordering and precise-math tests on the interpreter (the GPU tier: test/gpu/conformance-shapes.test.ts).
import { shapeCases } from './shapes.ts';
import { interpreterLaunch, registerCases } from './suite.ts';

registerCases('shapes', 'interpreter', shapeCases(), interpreterLaunch);
