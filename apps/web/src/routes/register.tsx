import { createFileRoute } from '@tanstack/react-router';
import { AuthForm } from '../components/auth-form';
import { validateAuthSearch } from '../lib/redirect';

export const Route = createFileRoute('/register')({
  validateSearch: validateAuthSearch,
  head: () => ({ meta: [{ title: 'Create account · Lathe' }] }),
  component: function Register() {
    const { redirect } = Route.useSearch();
    return <AuthForm mode="register" redirect={redirect} />;
  },
});
