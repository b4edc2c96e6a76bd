// Types for the config tests; provision.mjs itself stays plain JavaScript for the node image.
export interface ProvisionIds {
  indexSet?: string;
  searchId?: string;
  inputs?: Record<string, string>;
  streams?: Record<string, string>;
}
export interface GraylogClient {
  log: (message: string) => void;
  get: (path: string) => Promise<any>;
  post: (path: string, body?: unknown) => Promise<any>;
  put: (path: string, body?: unknown) => Promise<any>;
}
export function loadPayload(name: string): Promise<any>;
export function substitute<T>(value: T, ids: ProvisionIds): T;
export function client(options: { url: string; user: string; password: string; log?: (message: string) => void }): GraylogClient;
export function waitForGraylog(api: GraylogClient, seconds: number): Promise<string>;
export function provision(
  api: GraylogClient,
  options?: { waitSeconds?: number },
): Promise<{ inputs: Record<string, string>; streams: Record<string, string>; searchId: string; dashboardId: string }>;
