import type { ReactNode } from 'react';
import { cx } from '../ui';

const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  bmp: 'image/bmp',
};

/** The size of the bytes a base64 text holds, for people ("812 bytes", "14.2 KB"). */
export function base64Size(content: string): string {
  const bytes = Math.floor((content.length * 3) / 4) - (content.endsWith('==') ? 2 : content.endsWith('=') ? 1 : 0);
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** A binary file (an uploaded image, a font, ...): the image when browsers can show it, and its size. */
export function BinaryFile({
  path,
  content,
  children,
  className,
  testId = 'binary-file',
}: {
  path: string;
  /** The file's bytes as base64. */
  content: string;
  /** Lines under the size. */
  children?: ReactNode;
  className?: string;
  testId?: string;
}) {
  const type = IMAGE_TYPES[path.split('.').pop()?.toLowerCase() ?? ''];
  return (
    <div className={cx('flex h-full flex-col items-center justify-center gap-3 p-6 text-sm text-muted', className)} data-testid={testId}>
      {type && (
        <img
          src={`data:${type};base64,${content}`}
          alt={path.split('/').pop() ?? path}
          style={{ imageRendering: 'pixelated' }}
          className="max-h-[60%] min-h-16 min-w-16 max-w-full rounded border border-line bg-[repeating-conic-gradient(#8883_0_25%,transparent_0_50%)] bg-[length:16px_16px] object-contain"
        />
      )}
      <p>
        {path} · binary file, {base64Size(content)}
      </p>
      {children}
    </div>
  );
}
