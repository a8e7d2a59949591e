import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { FilePurpose } from '../../schema/catalogue/catalogue.enums';
import { StoredFile } from '../../schema/catalogue/stored-file.entity';
import { rowIdOf } from '../../schema/common/global-id';

/** Thrown when an upload goes past the size limit (the route answers 413). */
export class UploadTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`The upload is larger than the limit of ${limitBytes} bytes`);
  }
}

/** Thrown for an upload with no bytes. */
export class EmptyUploadError extends Error {
  constructor() {
    super('The upload is empty');
  }
}

/**
 * Content-addressed file storage under `<dataDir>/files/<sha256[0..2]>/<sha256>`: uploads are
 * streamed to a temporary file while hashed and counted, then renamed into place. Each upload
 * gets its own `stored_file` row (owner, purpose), identical contents share one blob.
 */
export class FileStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly root: string,
    private readonly maxBytes: number,
  ) {}

  /** Streams `body` into storage; throws UploadTooLargeError past the limit, leaving nothing behind. */
  async save(body: Readable, organizationId: string, purpose: FilePurpose, limitBytes = this.maxBytes): Promise<StoredFile> {
    const maxBytes = Math.min(limitBytes, this.maxBytes);
    await mkdir(path.join(this.root, 'tmp'), { recursive: true });
    const tmp = path.join(this.root, 'tmp', randomUUID());
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        bytes += chunk.length;
        if (bytes > maxBytes) return done(new UploadTooLargeError(maxBytes));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmp));
      if (bytes === 0) throw new EmptyUploadError();
      const sha256 = hash.digest('hex');
      const target = this.blobPath(sha256);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tmp, target);
      const repository = this.dataSource.getRepository(StoredFile);
      return await repository.save(repository.create({ organizationId, purpose, sha256, bytes: BigInt(bytes) }));
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** The file with this global id, if it belongs to the organisation (or `anyOrganization`). */
  async findOwned(fileGlobalId: string, organizationId: string, anyOrganization = false): Promise<StoredFile | null> {
    const id = rowIdOf(fileGlobalId, 'File');
    if (!id) return null;
    const file = await this.dataSource.getRepository(StoredFile).findOneBy({ id });
    return file && (anyOrganization || file.organizationId === organizationId) ? file : null;
  }

  /** Where a file's contents are on disk. */
  blobPath(sha256: string): string {
    return path.join(this.root, 'files', sha256.slice(0, 2), sha256);
  }

  async exists(sha256: string): Promise<boolean> {
    return stat(this.blobPath(sha256)).then(() => true, () => false);
  }
}
