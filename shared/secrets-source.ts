/**
 * A Powertools Parameters provider for Secrets Manager that imports the AWS SDK client on first fetch.
 * Powertools' own SecretsProvider imports the SDK statically, and esbuild hoists that import to the top of
 * every bundle, lengthening every cold start even where no secret is read (local runs, the proxy's
 * validation errors); `npm run bench` shows the cold imports. `BaseProvider` still gives the documented caching (`maxAge`, `forceFetch`).
 */
import { BaseProvider } from '@aws-lambda-powertools/parameters/base';
import type * as SecretsManager from '@aws-sdk/client-secrets-manager';

type SecretsManagerSdk = typeof SecretsManager;

/** Reads one secret's value (string or binary) from Secrets Manager. */
export class SecretsManagerSource extends BaseProvider {
  #sdk: Promise<{ sdk: SecretsManagerSdk; client: InstanceType<SecretsManagerSdk['SecretsManagerClient']> }> | undefined;

  constructor() {
    super({});
  }

  protected async _get(name: string): Promise<string | Uint8Array | undefined> {
    this.#sdk ??= import('@aws-sdk/client-secrets-manager').then((sdk) => ({ sdk, client: new sdk.SecretsManagerClient({}) }));
    const { sdk, client } = await this.#sdk;
    const result = await client.send(new sdk.GetSecretValueCommand({ SecretId: name }));
    return result.SecretString ?? result.SecretBinary;
  }

  protected async _getMultiple(): Promise<undefined> {
    throw new Error('SecretsManagerSource reads single secrets only.');
  }
}
