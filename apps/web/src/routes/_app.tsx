import { createFileRoute, Outlet, redirect } from '@tanstack/react-router';
import { sessionQuery } from '../lib/queries';

/** Everything behind sign-in. Rendered on the client only: the session lives in a cookie the browser sends to the API. */
export const Route = createFileRoute('/_app')({
  ssr: false,
  beforeLoad: async ({ context, location }) => {
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (!session) throw redirect({ to: '/login', search: { redirect: location.href } });
    return { user: session.user };
  },
  pendingComponent: AppPending,
  component: Outlet,
});

function AppPending() {
  return (
    <div className="grid h-screen place-items-center" aria-busy="true">
      <span className="size-6 animate-spin rounded-full border-2 border-line border-t-accent" />
    </div>
  );
}
