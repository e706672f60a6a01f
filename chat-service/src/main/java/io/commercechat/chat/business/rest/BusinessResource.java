package io.commercechat.chat.business.rest;

import io.commercechat.chat.business.Business;
import io.commercechat.chat.business.repository.BusinessRepository;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

@Path("/v1/businesses")
@RolesAllowed("user")
@Produces(MediaType.APPLICATION_JSON)
public class BusinessResource {

    public record BusinessView(String id, String displayName, String kind) {
        public static BusinessView of(Business b) {
            return new BusinessView(b.id, b.displayName, b.kind.name());
        }
    }

    public record BusinessList(List<BusinessView> businesses) {}

    private final BusinessRepository businesses;

    public BusinessResource(BusinessRepository businesses) {
        this.businesses = businesses;
    }

    @GET
    @WithSession
    public Uni<BusinessList> list() {
        return businesses.all().map(all -> new BusinessList(all.stream().map(BusinessView::of).toList()));
    }
}
