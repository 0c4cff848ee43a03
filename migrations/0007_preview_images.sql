-- Images the app's previews show in place of remote ones (the demo's products, whose shop
-- does not exist): keyed by the URL a template uses. Rendered files keep the real URLs.
CREATE TABLE preview_images (
    url        TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    bytes      BLOB NOT NULL
);
