// The shapes of GET /api/tab/restores/targets, shared by the server and the tab (types only).

export interface TenantDomains {
  tenantId: string;
  displayName: string;
  /** Verified domain names (the default first); empty when Graph could not be asked. */
  domains: string[];
}

export interface RestoreTargets {
  source: TenantDomains;
  /** Other tenants managed by this product where the caller is an admin too. */
  targets: TenantDomains[];
}
