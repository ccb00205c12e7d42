// Triton's float conversion tests on the interpreter (the GPU tier: test/gpu/conformance-conversions.test.ts).
import { conversionCases } from './conversions.ts';
import { interpreterLaunch, registerCases } from './suite.ts';

registerCases('conversions', 'interpreter', conversionCases(), interpreterLaunch);
