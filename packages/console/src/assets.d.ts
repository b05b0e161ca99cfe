// Vite answers `import url from './file.css?url'` with the URL of the file it emits (the console loads the
// hosted pages' stylesheets into the form preview's shadow root that way).
declare module '*.css?url' {
  const url: string;
  export default url;
}
