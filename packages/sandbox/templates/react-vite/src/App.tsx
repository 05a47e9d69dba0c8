export default function App() {
  return (
    <main className="min-h-screen flex items-center justify-center bg-slate-50 text-slate-900">
      <div className="text-center space-y-2">
        <h1 className="text-3xl font-semibold">Your app is being built</h1>
        <p className="text-slate-500">Describe what you want in the chat; the preview updates as files arrive.</p>
      </div>
    </main>
  );
}
