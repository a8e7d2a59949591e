import { Request, Response, Router } from 'express';
import { Role } from '../../schema/accounts/role.enum';
import { FilePurpose } from '../../schema/catalogue/catalogue.enums';
import { toGlobalId } from '../../schema/common/global-id';
import type { Principal } from '../context';
import { ApiError, ErrorCode } from '../common/errors';
import { EmptyUploadError, FileStore, UploadTooLargeError } from './file-store.service';

const ROLE_FOR_PURPOSE: Record<FilePurpose, Role> = {
  [FilePurpose.MODEL]: Role.VENDOR,
  [FilePurpose.DATASET]: Role.PARTNER,
};

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/**
 * NOTE: a client that goes away mid-upload (its socket closed: `aborted`, ECONNRESET) is the
 * client's doing, not the server's: nothing was kept (the file store removes the partial file),
 * so it is a 400 in the access log and the metrics, never an "unexpected error" (500).
 */
function clientWentAway(req: Request, error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return req.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/**
 * `POST /v1/files?purpose=model|dataset`: the raw request body, streamed to storage.
 * 401 without a valid key, 403 without the purpose's role, 400 for an unknown purpose or an
 * empty body, 413 past the size limit; 201 with `{ id, sha256, bytes, purpose }`.
 */
export function fileUploadRouter(options: {
  fileStore: FileStore;
  maxBytes: number;
  /** The caller: null without a key; throws UNAUTHENTICATED (an ApiError) for a bad one. */
  callerOf: (req: Request) => Promise<Principal | null>;
  /** What the organisation may still store, bytes (its storage quota less its files). */
  remainingBytes?: (organizationId: string) => Promise<number>;
}): Router {
  const router = Router();
  router.post('/v1/files', async (req, res, next) => {
    try {
      const purpose = String(req.query.purpose ?? '').toUpperCase() as FilePurpose;
      const principal = await options.callerOf(req);
      if (!principal) return sendError(res, 401, 'UNAUTHENTICATED', 'An API key is required: send "Authorization: Bearer <key>"');
      if (!Object.values(FilePurpose).includes(purpose)) {
        return sendError(res, 400, 'BAD_USER_INPUT', 'Query parameter "purpose" must be "model" or "dataset"');
      }
      const role = ROLE_FOR_PURPOSE[purpose];
      if (!principal.roles.includes(role) && !principal.roles.includes(Role.ADMIN)) {
        return sendError(res, 403, 'FORBIDDEN', `Uploading a ${purpose.toLowerCase()} file needs the ${role} role`);
      }
      const declared = Number(req.headers['content-length'] ?? NaN);
      const remaining = options.remainingBytes ? await options.remainingBytes(principal.organizationId) : Infinity;
      if (remaining <= 0 || declared > remaining) {
        req.resume();
        res.setHeader('Connection', 'close');
        return sendError(res, 413, 'STORAGE_QUOTA_EXCEEDED', `The organisation's storage quota leaves ${remaining} bytes; delete or stop using files, or ask for a larger quota`);
      }
      if (declared > options.maxBytes) {
        req.resume();
        return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The upload is larger than the limit of ${options.maxBytes} bytes`);
      }
      const file = await options.fileStore.save(req, principal.organizationId, purpose, remaining);
      res.status(201).json({ id: toGlobalId('File', file.id), sha256: file.sha256, bytes: Number(file.bytes), purpose: purpose.toLowerCase() });
    } catch (error) {
      if (error instanceof ApiError && error.extensions.code === ErrorCode.UNAUTHENTICATED) {
        return sendError(res, 401, 'UNAUTHENTICATED', error.message);
      }
      if (error instanceof UploadTooLargeError) {
        res.setHeader('Connection', 'close');
        if (error.limitBytes < options.maxBytes) return sendError(res, 413, 'STORAGE_QUOTA_EXCEEDED', `The upload is larger than what the organisation's storage quota leaves (${error.limitBytes} bytes)`);
        return sendError(res, 413, 'PAYLOAD_TOO_LARGE', error.message);
      }
      if (error instanceof EmptyUploadError) return sendError(res, 400, 'BAD_USER_INPUT', error.message);
      if (clientWentAway(req, error)) return sendError(res, 400, 'UPLOAD_ABORTED', 'The upload ended before its last byte; nothing was kept');
      next(error);
    }
  });
  return router;
}
