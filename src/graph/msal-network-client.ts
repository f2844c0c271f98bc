// msal-node's network module over our HTTPS agent, so token requests trust the dev tenant's
// loopback CA without NODE_EXTRA_CA_CERTS or turning TLS verification off.
import type https from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { httpsRequest } from './https-fetch.ts';

export class MsalHttpsNetworkClient implements INetworkModule {
  constructor(
    private readonly agent: https.Agent,
    private readonly timeoutMs = 30_000,
  ) {}

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'GET', options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'POST', options);
  }

  private async send<T>(url: string, method: string, options?: NetworkRequestOptions, timeout?: number) {
    const response = await httpsRequest(
      url,
      {
        method,
        headers: options?.headers,
        body: method === 'POST' ? (options?.body ?? '') : undefined,
        timeoutMs: timeout ?? this.timeoutMs,
      },
      this.agent,
    );
    let body: T;
    try {
      body = JSON.parse(response.body.toString('utf8')) as T;
    } catch {
      throw new Error(
        `Token endpoint ${new URL(url).host} answered ${response.status} with a body that is not JSON`,
      );
    }
    return { headers: response.headers, body, status: response.status };
  }
}
