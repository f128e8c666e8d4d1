import { defineConfig } from 'tsup';
import { appConfig } from '../../tsup.shared.js';

export default defineConfig(appConfig());
