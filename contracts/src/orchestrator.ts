import bundled from '../../generated/orchestrator.openapi.json' with { type: 'json' };
import type { OpenApiDocument } from './document';

export type { paths, components, operations } from '../../generated/orchestrator';

/** contracts/orchestrator.yaml bundled into one document (external `$ref`s inlined) by `npm run generate`. */
export const document: OpenApiDocument = bundled;
