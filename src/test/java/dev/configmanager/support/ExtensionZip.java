package dev.configmanager.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** The zip that {@code mvn package} built, as an operator installs it: unzipped into an extensions folder. */
public final class ExtensionZip {

    private ExtensionZip() {}

    public static Path location() {
        final String zip = System.getProperty("extension.zip");
        if (zip == null) {
            throw new IllegalStateException(
                    "run packaged-zip tests through failsafe (mvn verify): extension.zip is " + "not set");
        }
        return Path.of(zip);
    }

    public static void unzipInto(final Path extensionsFolder) throws IOException {
        try (InputStream in = Files.newInputStream(location());
                ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                final Path target = extensionsFolder.resolve(entry.getName()).normalize();
                if (!target.startsWith(extensionsFolder)) {
                    throw new IOException("zip entry outside the target folder: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(zip, target);
                }
            }
        }
    }
}
