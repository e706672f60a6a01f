package io.commercechat.chat.business.rest;

import io.commercechat.chat.business.Business;
import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.rest.RequestDeadline;
import io.commercechat.chat.rest.RestParams;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

@Path("/v1/businesses")
@RolesAllowed("user")
@Produces(MediaType.APPLICATION_JSON)
@RequestDeadline
public class BusinessResource {

    public record BusinessView(String id, String displayName, String kind) {
        public static BusinessView of(Business b) {
            return new BusinessView(b.id, b.displayName, b.kind.name());
        }
    }

    /** A page of the directory; {@code nextCursor} is null on the last. */
    public record BusinessList(List<BusinessView> businesses, String nextCursor) {}

    private final BusinessRepository businesses;

    public BusinessResource(BusinessRepository businesses) {
        this.businesses = businesses;
    }

    @GET
    @WithSession
    public Uni<BusinessList> list(@QueryParam("cursor") String cursor, @QueryParam("limit") String limit) {
        String[] after = RestParams.fromNameCursor(cursor);
        int size = RestParams.limit(limit, 100);
        return businesses.page(after, size + 1).map(found -> {
            List<Business> page = found.stream().limit(size).toList();
            Business last = page.isEmpty() ? null : page.get(page.size() - 1);
            return new BusinessList(page.stream().map(BusinessView::of).toList(),
                    found.size() > size ? RestParams.nameCursor(last.displayName, last.id) : null);
        });
    }
}
