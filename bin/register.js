// `node --import kt/register app.js`: lets plain Node code import kernels from .ts files (through tsx).
import { registerLoaders } from './loaders.js';

registerLoaders();
