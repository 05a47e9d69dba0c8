import { QueryClientProvider } from '@tanstack/react-query';
import { createRootRouteWithContext, HeadContent, Link, Outlet, Scripts } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { themeBootScript } from '../lib/theme';
import type { RouterContext } from '../router';
import css from '../styles.css?url';

export const Route = createRootRouteWithContext<RouterContext>()({
  head: () => ({
    meta: [
      { charSet: 'utf-8' },
      { name: 'viewport', content: 'width=device-width, initial-scale=1' },
      { title: 'Lathe' },
      { name: 'description', content: 'Describe an app, watch it being built, ship it.' },
    ],
    links: [
      { rel: 'stylesheet', href: css },
      { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
    ],
    scripts: [{ children: themeBootScript }],
  }),
  component: RootComponent,
  notFoundComponent: NotFound,
});

function RootComponent() {
  const { queryClient } = Route.useRouteContext();
  return (
    <RootDocument>
      <QueryClientProvider client={queryClient}>
        <Outlet />
      </QueryClientProvider>
    </RootDocument>
  );
}

function NotFound() {
  return (
    <div className="grid h-screen place-items-center">
      <div className="text-center">
        <p className="font-mono text-sm text-faint">404</p>
        <h1 className="mt-2 text-xl font-semibold">Nothing here</h1>
        <Link to="/" className="mt-4 inline-block text-sm text-accent hover:underline">
          Back to your projects
        </Link>
      </div>
    </div>
  );
}

function RootDocument({ children }: { children: ReactNode }) {
  return (
    // The theme class is set before paint by the boot script, so the server and client may differ.
    <html lang="en" className="dark" suppressHydrationWarning>
      <head>
        <HeadContent />
      </head>
      <body>
        {children}
        <Scripts />
      </body>
    </html>
  );
}
