import { DataSource, IsNull } from 'typeorm';
import { ApiKey } from '../../schema/accounts/api-key.entity';
import { CreateApiKeyInput, RevokeApiKeyInput } from '../../schema/accounts/accounts.inputs';
import { Organization, OrganizationKind } from '../../schema/accounts/organization.entity';
import { Role } from '../../schema/accounts/role.enum';
import { Page } from '../../schema/common/connection.type';
import { PaginationArgs } from '../../schema/common/pagination.args';
import { rowIdOf } from '../../schema/common/global-id';
import { UserErrorCode } from '../../schema/common/user-error.type';
import { isAdmin, Principal, RequestContext } from '../context';
import { paginate } from '../common/pagination';
import { failure, Result, success, transactionalResult } from '../common/result';
import { generateApiKey, hashesEqual, hashApiKey, prefixOf } from './api-key-secret';

/** Which roles an organisation of each kind may hold. */
const ROLES_BY_KIND: Record<OrganizationKind, Role[]> = {
  [OrganizationKind.VENDOR]: [Role.VENDOR, Role.FINANCE],
  [OrganizationKind.PARTNER]: [Role.PARTNER, Role.FINANCE],
  [OrganizationKind.PLATFORM]: [Role.ADMIN, Role.FINANCE],
};

interface CachedKey {
  principal: Principal;
  secretHash: string;
}

/** A key's lookup (pending or done; null: unknown or revoked) and until when it stands. */
interface CacheEntry {
  key: Promise<CachedKey | null>;
  expiresAt: number;
  /** From when a request starts the next lookup in the background (the entry still answers until `expiresAt`). */
  refreshAt: number;
  refreshing?: boolean;
}

/** The last part of a cache entry's life in which a request refreshes it ahead, off its own path. */
const REFRESH_AHEAD_SHARE = 0.2;

/**
 * Issues, revokes and authenticates API keys. Authentication is on every request, so it is
 * served from a short-lived cache (a revocation on this replica takes effect at once, on others
 * within `cacheTtlMs`); `lastUsedAt` is written at most once a minute per key, off the request path.
 */
export class ApiKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: { cacheTtlMs: number; lastUsedEveryMs: number; onError: (e: unknown) => void; maxLiveKeysPerOrg?: number },
  ) {}

  /** The principal of a bearer key, or null when the key is malformed, unknown or revoked. */
  async authenticate(plaintext: string, now: Date): Promise<Principal | null> {
    const prefix = prefixOf(plaintext);
    if (!prefix) return null;
    const hash = hashApiKey(plaintext);
    let entry = this.cache.get(prefix);
    if (!entry || entry.expiresAt < now.getTime()) entry = this.lookUp(prefix, now);
    else if (entry.refreshAt <= now.getTime() && !entry.refreshing) this.refreshAhead(prefix, entry, now);
    const cached = await entry.key;
    if (!cached || !hashesEqual(cached.secretHash, hash)) return null;
    this.touch(cached.principal.apiKeyId, now);
    return cached.principal;
  }

  /**
   * NOTE: the lookup's promise is cached, so the requests that find a key's entry expired at
   * once share one query (under load they arrive in bursts; each used to run its own). Unknown
   * keys and failed lookups are not kept: random keys cannot fill the cache, and the next
   * request after an error tries again.
   */
  private lookUp(prefix: string, now: Date): CacheEntry {
    const entry = this.entryFor(this.loadKey(prefix), now);
    this.cache.set(prefix, entry);
    const forget = () => {
      if (this.cache.get(prefix) === entry) this.cache.delete(prefix);
    };
    entry.key.then((key) => key ?? forget(), forget);
    return entry;
  }

  private entryFor(key: Promise<CachedKey | null>, now: Date): CacheEntry {
    const ttl = this.options.cacheTtlMs;
    return { key, expiresAt: now.getTime() + ttl, refreshAt: now.getTime() + ttl * (1 - REFRESH_AHEAD_SHARE) };
  }

  /**
   * NOTE: a key in steady use is looked up again shortly before its entry expires, in the
   * background, so that no request waits for the lookup (two round trips after an idle wait, every
   * TTL per key); the entry keeps answering until it expires, so a key revoked on another replica
   * is still refused within the TTL. The new entry replaces this one only if this one is still
   * the cached one (a revocation here, meanwhile, deleted it) and only once it has loaded.
   */
  private refreshAhead(prefix: string, entry: CacheEntry, now: Date): void {
    entry.refreshing = true;
    const loading = this.loadKey(prefix);
    loading.then((key) => {
      if (this.cache.get(prefix) !== entry) return;
      if (key) this.cache.set(prefix, this.entryFor(Promise.resolve(key), now));
      else this.cache.delete(prefix);
    }, () => {
      entry.refreshing = false;
    });
  }

  private async loadKey(prefix: string): Promise<CachedKey | null> {
    const key = await this.dataSource.getRepository(ApiKey).findOne({ where: { prefix }, relations: { organization: true } });
    if (!key || key.revokedAt || !key.organization) return null;
    return {
      principal: { apiKeyId: key.id, organizationId: key.organizationId, organizationKind: key.organization.kind, roles: key.roles },
      secretHash: key.secretHash,
    };
  }

  private touch(apiKeyId: string, now: Date): void {
    const last = this.lastUsedWritten.get(apiKeyId) ?? 0;
    if (now.getTime() - last < this.options.lastUsedEveryMs) return;
    this.lastUsedWritten.set(apiKeyId, now.getTime());
    this.dataSource.getRepository(ApiKey).update({ id: apiKeyId }, { lastUsedAt: now }).catch(this.options.onError);
  }

  /** Issues a key. Callers issue keys for their own organisation with roles they hold; ADMIN for any. */
  async create(ctx: RequestContext, input: CreateApiKeyInput): Promise<Result<{ key: string; apiKey: ApiKey }>> {
    const principal = ctx.principal!;
    const organizationId = input.organizationId ? rowIdOf(input.organizationId, 'Organization') : principal.organizationId;
    if (!organizationId || (organizationId !== principal.organizationId && !isAdmin(ctx))) {
      return failure(UserErrorCode.NOT_FOUND, 'Organization not found', ['input', 'organizationId']);
    }
    const escalation = input.roles.filter((role) => !isAdmin(ctx) && !principal.roles.includes(role));
    if (escalation.length > 0) {
      return failure(UserErrorCode.FORBIDDEN, `A key cannot grant roles it does not hold: ${escalation.join(', ')}`, ['input', 'roles']);
    }
    return transactionalResult(ctx, async (tx) => {
      // NOTE: the organisation's row is locked so that concurrent creations count each other's keys.
      const organization = await tx.db.findOne(Organization, { where: { id: organizationId }, lock: { mode: 'pessimistic_write' } });
      if (!organization) return failure(UserErrorCode.NOT_FOUND, 'Organization not found', ['input', 'organizationId']);
      const maxLive = this.options.maxLiveKeysPerOrg;
      if (maxLive !== undefined && (await tx.db.countBy(ApiKey, { organizationId, revokedAt: IsNull() })) >= maxLive) {
        return failure(UserErrorCode.QUOTA_EXCEEDED, `An organisation may hold at most ${maxLive} unrevoked API keys; revoke one first`, ['input', 'organizationId']);
      }
      const allowed = ROLES_BY_KIND[organization.kind];
      const invalid = input.roles.filter((role) => !allowed.includes(role));
      if (invalid.length > 0) {
        return failure(UserErrorCode.INVALID, `A ${organization.kind} organisation cannot hold the roles ${invalid.join(', ')}`, ['input', 'roles']);
      }
      const generated = generateApiKey();
      const apiKey = await tx.db.save(tx.db.create(ApiKey, {
        organizationId, name: input.name, prefix: generated.prefix, secretHash: generated.secretHash,
        roles: [...new Set(input.roles)], lastUsedAt: null, revokedAt: null,
      }));
      return success({ key: generated.plaintext, apiKey });
    });
  }

  /** The caller's organisation's keys, oldest first. */
  async list(ctx: RequestContext, args: PaginationArgs): Promise<Page<ApiKey>> {
    const query = ctx.db.getRepository(ApiKey).createQueryBuilder('key')
      .where('key.organizationId = :org', { org: ctx.principal!.organizationId });
    return paginate(query, args);
  }

  /** Revokes a key of the caller's organisation (ADMIN: any). Idempotent. */
  async revoke(ctx: RequestContext, input: RevokeApiKeyInput): Promise<Result<ApiKey>> {
    const id = rowIdOf(input.apiKeyId, 'ApiKey');
    const key = id ? await ctx.db.findOneBy(ApiKey, { id }) : null;
    if (!key || (key.organizationId !== ctx.principal!.organizationId && !isAdmin(ctx))) {
      return failure(UserErrorCode.NOT_FOUND, 'API key not found', ['input', 'apiKeyId']);
    }
    if (!key.revokedAt) {
      key.revokedAt = ctx.now();
      await ctx.db.update(ApiKey, { id: key.id }, { revokedAt: key.revokedAt });
    }
    this.cache.delete(key.prefix);
    return success(key);
  }
}
