// `node --import kt/register app.js`: lets plain Node code import kernels from .ts files.
import { register } from 'tsx/esm/api';

register();
