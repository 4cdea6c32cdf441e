/**
 * Powertools Parameters providers for Secrets Manager and SSM Parameter Store that import their AWS SDK
 * client on first fetch. Powertools' own providers import the SDK statically, and esbuild hoists that import
 * to the top of every bundle, lengthening every cold start even where nothing is read (local runs, the
 * proxy's validation errors); `npm run bench` shows the cold imports. `BaseProvider` still gives the
 * documented caching (`maxAge`, `forceFetch`).
 */
import { BaseProvider } from '@aws-lambda-powertools/parameters/base';

type Read = (name: string) => Promise<string | Uint8Array | undefined>;

/** A provider of single values read by `read`. */
class LazySource extends BaseProvider {
  readonly #read: Read;

  constructor(read: Read) {
    super({});
    this.#read = read;
  }

  protected _get(name: string): Promise<string | Uint8Array | undefined> {
    return this.#read(name);
  }

  protected async _getMultiple(): Promise<undefined> {
    throw new Error('This provider reads single values only.');
  }
}

/** Reads one value, connecting the SDK client once, on first use. */
function lazily<C>(connect: () => Promise<C>, read: (client: C, name: string) => Promise<string | Uint8Array | undefined>): Read {
  let client: Promise<C> | undefined;
  return async (name) => read(await (client ??= connect()), name);
}

/** Reads one secret's value (string or binary) from Secrets Manager. */
export class SecretsManagerSource extends LazySource {
  constructor() {
    super(
      lazily(
        () => import('@aws-sdk/client-secrets-manager').then((sdk) => ({ sdk, client: new sdk.SecretsManagerClient({}) })),
        async ({ sdk, client }, name) => {
          const result = await client.send(new sdk.GetSecretValueCommand({ SecretId: name }));
          return result.SecretString ?? result.SecretBinary;
        },
      ),
    );
  }
}

/** Reads one parameter's value from SSM Parameter Store. */
export class SsmParameterSource extends LazySource {
  constructor() {
    super(
      lazily(
        () => import('@aws-sdk/client-ssm').then((sdk) => ({ sdk, client: new sdk.SSMClient({}) })),
        async ({ sdk, client }, name) => (await client.send(new sdk.GetParameterCommand({ Name: name }))).Parameter?.Value,
      ),
    );
  }
}
