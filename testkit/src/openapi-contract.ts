import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/** The parts of an OpenAPI 3.1 document this checker reads. */
export interface OpenApiDoc {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
  components?: { schemas?: Record<string, unknown> };
}

export interface Answer {
  method: string;
  /** The path, without the query. */
  path: string;
  status: number;
  contentType: string;
  /** The parsed JSON body, or undefined when the body is not JSON (or was not read). */
  body?: unknown;
}

const DOC_ID = 'https://paredao.invalid/openapi.json';

/**
 * Checks real answers against an OpenAPI document: the operation for the method and path, the response
 * for the status (or `default`), its media type, and for JSON its schema. An answer on a path the
 * document does not list must still be the documented error shape (404s of unknown routes).
 */
export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: { method: string; template: string; re: RegExp }[];
  private readonly validators = new Map<unknown, ValidateFunction>();

  constructor(private readonly doc: OpenApiDoc) {
    this.ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(s) && !Number.isNaN(Date.parse(s)));
    this.ajv.addSchema({ $id: DOC_ID, components: doc.components ?? {} });
    this.routes = Object.entries(doc.paths).flatMap(([template, ops]) =>
      Object.keys(ops).map((method) => ({
        method: method.toUpperCase(),
        template,
        re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    );
  }

  /** What is wrong with this answer; empty when it matches the document. */
  check(a: Answer): string[] {
    const where = `${a.method} ${a.path} → ${a.status}`;
    const route = this.routes.find((r) => (r.method === a.method || (a.method === 'HEAD' && r.method === 'GET')) && r.re.test(a.path));
    if (!route) {
      if (a.status === 404 || a.status === 405) return this.checkSchema(where, { $ref: '#/components/schemas/Error' }, a.body, a.contentType);
      return [`${where}: no operation in the document for this method and path`];
    }
    const responses = this.doc.paths[route.template]![route.method.toLowerCase()]!.responses;
    const response = responses[String(a.status)] ?? responses.default;
    if (!response) return [`${where}: status not documented for ${route.method} ${route.template}`];
    if (!response.content) return a.body === undefined || a.status === 204 ? [] : [`${where}: the document says no body`];
    if (a.method === 'HEAD') return [];
    const mediaType = Object.keys(response.content).find((t) => a.contentType.toLowerCase().startsWith(t));
    if (!mediaType) return [`${where}: content-type ${a.contentType || '(none)'} is not one of ${Object.keys(response.content).join(', ')}`];
    if (!mediaType.includes('json')) return [];
    return this.checkSchema(where, response.content[mediaType]!.schema, a.body, a.contentType);
  }

  private checkSchema(where: string, schema: unknown, body: unknown, contentType: string): string[] {
    if (!contentType.includes('json')) return [`${where}: expected JSON, got ${contentType || 'no content-type'}`];
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(absoluteRefs(schema) as object);
      this.validators.set(schema, validate);
    }
    if (validate(body)) return [];
    return [`${where}: ${this.ajv.errorsText(validate.errors)} in ${JSON.stringify(body).slice(0, 300)}`];
  }
}

/** `#/components/…` refs of a schema taken out of the document, pointed back into it. */
function absoluteRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(absoluteRefs);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${DOC_ID}${v}` : absoluteRefs(v)]),
  );
}
