import packageJson from '../package.json' with { type: 'json' };
import { RULES_VERSION } from './rules/catalog.ts';

export const TOOL_VERSION: string = packageJson.version;
export { RULES_VERSION };
