package dev.configmanager.support;

import com.hivemq.extension.sdk.api.client.parameter.ClientInformation;
import com.hivemq.extension.sdk.api.services.builder.PublishBuilder;
import com.hivemq.extension.sdk.api.services.publish.Publish;
import com.hivemq.extension.sdk.api.services.publish.PublishService;

import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Small stand-ins for SDK inputs, for unit tests of ordering logic that a real broker cannot replay on demand. Only
 * what the code under test calls is answered; anything else fails loudly.
 */
public final class SdkFakes {

    private SdkFakes() {}

    /** A published message as the fake publish service saw it. */
    public record Sent(String topic, String payload) {}

    /** Records every publish in order and completes it at once. */
    public static final class RecordingPublishService {
        public final List<Sent> sent = new CopyOnWriteArrayList<>();

        public PublishService service() {
            return proxy(PublishService.class, (name, args) -> {
                if (name.equals("publish")) {
                    final Publish p = (Publish) args[0];
                    sent.add(new Sent(
                            p.getTopic(),
                            StandardCharsets.UTF_8
                                    .decode(p.getPayload().orElseThrow().duplicate())
                                    .toString()));
                    return CompletableFuture.completedFuture(null);
                }
                throw new UnsupportedOperationException(name);
            });
        }
    }

    /** A builder that remembers topic and payload and builds a {@link Publish} answering just those. */
    public static PublishBuilder publishBuilder() {
        final Map<String, Object> values = new HashMap<>();
        final PublishBuilder[] self = new PublishBuilder[1];
        self[0] = proxy(PublishBuilder.class, (name, args) -> {
            switch (name) {
                case "topic", "payload" -> values.put(name, args[0]);
                case "build" -> {
                    return proxy(Publish.class, (n, a) -> switch (n) {
                        case "getTopic" -> values.get("topic");
                        case "getPayload" -> Optional.of((ByteBuffer) values.get("payload"));
                        default -> throw new UnsupportedOperationException(n);
                    });
                }
                default -> {
                    // qos, retain, user properties...: accepted and ignored
                }
            }
            return self[0];
        });
        return self[0];
    }

    /** One client connection, as far as the lifecycle inputs show it: its client id. */
    public static ConnectionFake connection(final String clientId) {
        return new ConnectionFake(clientId);
    }

    public static final class ConnectionFake {
        public final ClientInformation client;

        ConnectionFake(final String clientId) {
            client = proxy(ClientInformation.class, (name, args) -> {
                if (name.equals("getClientId")) {
                    return clientId;
                }
                throw new UnsupportedOperationException(name);
            });
        }

        /** An input of any {@code ClientBasedInput} type for this connection, without reason codes. */
        public <T> T input(final Class<T> type) {
            return proxy(type, (name, args) -> switch (name) {
                case "getClientInformation" -> client;
                case "getReasonCode", "getReasonString", "getUserProperties" -> Optional.empty();
                default -> throw new UnsupportedOperationException(name);
            });
        }
    }

    private interface Handler {
        Object handle(String method, Object[] args);
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(final Class<T> type, final Handler handler) {
        return (T) Proxy.newProxyInstance(SdkFakes.class.getClassLoader(), new Class<?>[] {type}, (p, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "toString" -> type.getSimpleName() + " fake";
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                };
            }
            return handler.handle(method.getName(), args);
        });
    }
}
