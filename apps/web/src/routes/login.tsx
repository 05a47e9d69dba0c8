import { createFileRoute } from '@tanstack/react-router';
import { AuthForm } from '../components/auth-form';
import { validateAuthSearch } from '../lib/redirect';

export const Route = createFileRoute('/login')({
  validateSearch: validateAuthSearch,
  head: () => ({ meta: [{ title: 'Sign in · Lathe' }] }),
  component: function Login() {
    const { redirect } = Route.useSearch();
    return <AuthForm mode="login" redirect={redirect} />;
  },
});
